"""Chat models: the factory, the prompts, and the offline local model (packaged weights + llama.cpp server)."""
