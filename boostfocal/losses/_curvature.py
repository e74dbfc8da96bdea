"""Constants of the curvature policies shared by the binary and softmax losses."""

#: Floor of every positive policy, per unit sample weight: keeps the curvature strictly
#: positive where the majorizer underflows (margins beyond about +-37 in float64).
MIN_CURVATURE = 1e-16

#: The floor of the ``"floor"`` policy, ``max(exact, FLOOR_EPSILON)``: the usual fix of
#: published focal-loss plugins, kept for comparison in the curvature ablation.
FLOOR_EPSILON = 1e-6
