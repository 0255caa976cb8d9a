"""The window's parts, Tk widgets that show what they are given: the paper, the answer, the
controls, the status bar, the menus and dialogs. They import nothing of the app above them.
"""
