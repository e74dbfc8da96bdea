"""``boostfocal compare``: does focal loss help on this data, and with which gamma.

The command (:mod:`.cli`, standard library only until a run starts) and what it is
built from, each a step of the run in the order the data flows through them:

- :mod:`._args`: the options and the ``--help`` text; :mod:`._errors`: the errors the
  command reports; :mod:`._runfolder`: the new ``run-NNN`` folder that appears only
  complete;
- :mod:`._table`: reading the user's file; :mod:`._data`: the target and features made
  booster-ready, or the built-in demo;
- :mod:`._entries`: what is compared and the estimator of each (same booster settings for
  every entry); :mod:`._crossval`: every entry on the same stratified folds (repeated),
  and the metrics; :mod:`._stopping`: early stopping on one held-out set and one metric
  for every entry; :mod:`._stats`: the corrected repeated k-fold t-test and Holm's
  correction; :mod:`._verdict`: the summary, the tests and the recommendation;
- :mod:`._command`: the run from data to files; :mod:`._model`: the recommended entry
  fitted on all rows and saved (``--save-model``); :mod:`._progress`, :mod:`._report`,
  :mod:`._plots` and :mod:`._html` (``report.html``): what it shows and writes.

Errors the user can fix (a missing column, a one-class target, ...) are raised as
:class:`._errors.CompareError` with a one-line message. Nothing in boostfocal imports
this package: it uses the estimators like any user would.
"""
