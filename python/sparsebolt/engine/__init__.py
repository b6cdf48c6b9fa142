"""Everything an ONNX transformer model needs, written once: config, weights, graph building and quantization,
model files, tokenizer, sessions and batch runs. Import the submodules directly."""
