"""What both backends build on.

The native adapter base, the label and parameter handling of the estimators, the fit plan
(classes, weights, loss, start) and the model-file metadata. Data flows one way:
``losses`` -> ``_estimator_core`` -> ``xgboost`` / ``lightgbm`` -> ``dask`` / ``compare``.
"""
