"""Question banks as files: the native format, the formats instructors bring, and exports.

Parsers are pure (bytes in, questions and per-question problems out) so that one bad
question never costs the good ones in the same file, and so that they can later run in
a sandboxed subprocess unchanged.
"""
