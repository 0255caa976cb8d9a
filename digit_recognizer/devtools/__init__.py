"""Tools for the tests, the benchmarks and the README's picture: a virtual X display (``xvfb``),
a driver that draws in the real window (``window_driver``) and the screenshot (``screenshot``).
The app never imports them.
"""
