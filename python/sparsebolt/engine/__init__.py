"""Everything an ONNX transformer model needs, written once: config, weights, graph building and quantization, the
cache of built graphs, model files, tokenizer, sessions and batch runs. Import the submodules directly."""
