"""``boostfocal compare``: does focal loss help on this data, and with which gamma.

``cli`` parses the command line and owns the run folder, ``_engine`` fits and scores the
candidates, ``_plots`` draws the figures.
"""
