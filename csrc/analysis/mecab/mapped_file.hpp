// A read-only view of a whole file: memory-mapped where the platform can, else read into memory. MeCab's
// dictionaries are read this way, so loading one costs page mappings, not parsing, and every process that
// loads the same files shares their pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sparsebolt::mecab {

class MappedFile {
 public:
  // Maps `path`; std::invalid_argument naming the path when it cannot be opened or read.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  void* mapping_ = nullptr;                // the mmap'd region, or null where the file was read
  std::unique_ptr<std::uint64_t[]> copy_;  // the file's bytes where it was read, 8-byte aligned
};

}  // namespace sparsebolt::mecab
