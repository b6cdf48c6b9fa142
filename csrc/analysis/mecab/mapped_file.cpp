// MappedFile: mmap on POSIX systems, a plain read elsewhere.
#include "analysis/mecab/mapped_file.hpp"

#include <fstream>
#include <stdexcept>

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace sparsebolt::mecab {

namespace {

[[noreturn]] void cannot_read(const std::string& path) {
  throw std::invalid_argument("cannot read the MeCab dictionary file '" + path +
                              "': check that the dictionary package is installed completely");
}

}  // namespace

MappedFile::MappedFile(const std::string& path) : path_(path) {
#if !defined(_WIN32)
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) cannot_read(path);
  struct stat info{};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    cannot_read(path);
  }
  size_ = static_cast<std::size_t>(info.st_size);
  if (size_ > 0) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (mapped != MAP_FAILED) {
      mapping_ = mapped;
      data_ = static_cast<const char*>(mapped);
    }
  }
  ::close(fd);
  if (mapping_ != nullptr || size_ == 0) return;
#endif
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) cannot_read(path);
  size_ = static_cast<std::size_t>(in.tellg());
  copy_.reset(new std::uint64_t[size_ / 8 + 1]);
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(copy_.get()), static_cast<std::streamsize>(size_))) cannot_read(path);
  data_ = reinterpret_cast<const char*>(copy_.get());
}

MappedFile::~MappedFile() {
#if !defined(_WIN32)
  if (mapping_ != nullptr) ::munmap(mapping_, size_);
#endif
}

}  // namespace sparsebolt::mecab
