"""Models the project trains itself: the relevance and support judge.

Retrieval similarity says which passages are *near* a question; it cannot say whether a
passage *answers* it (a neighbouring disease's page is near too). The judge is a small
cross-encoder fine-tuned by this project (``training/``: recipe, data splits, seed) that
reads a question or a statement together with one passage and returns a probability:
that the passage answers the question, or that it supports the statement. The exported
ONNX file ships in this folder with its card and is hash-checked before use.
"""
