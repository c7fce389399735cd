"""mini: the small factor-model library behind the book.

One concept per module; chapters import what they teach, for example::

    from mini.minimodel import load_minimodel
    from mini.decomposition import decompose_risk
"""

__version__ = "0.1.0"
