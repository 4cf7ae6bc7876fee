"""The pure core: instruments, scoring, change statistics and signals.

Nothing in this package imports Django. Every function takes and returns plain data, so a
researcher can use it from a notebook and the tests can check it against hand-worked values.
"""
