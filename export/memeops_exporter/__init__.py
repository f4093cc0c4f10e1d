"""memeops' model exporter: PyTorch architectures -> the ONNX files the trainer's extractors load, each with a
manifest (source weights, exporter versions, output sha256) that the trainer checks when it opens the file."""

__version__ = "0.1.0"
