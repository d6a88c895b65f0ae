"""The graduate-admissions data, ready for training (given: you do not need to change this file).

Each row is one applicant: ``admit`` (1 = admitted, 0 = not), ``gre`` (exam score, 200-800),
``gpa`` (grade point average, up to 4.0) and ``rank`` (1 = the most prestigious undergraduate
institution, 4 = the least).

Where the data comes from:

* ``binary.csv`` beside this file, when it exists: the real data set of 400 applicants
  (the one the original lesson used; columns ``admit,gre,gpa,rank``).
* Otherwise a SYNTHETIC stand-in: 400 made-up applicants drawn with a fixed seed from published
  summary figures of the real data (the means and standard deviations of gre and gpa, the number
  of applicants per rank) and from a logistic-regression fit to it (the chance of admission). It
  behaves like the real data but is not it: numbers trained on it differ from the lesson's.

Preparation, as in the lesson:

1. ``rank`` becomes four 0/1 columns ``rank_1 .. rank_4`` (one-hot), so that no rank counts as
   "twice" another; the features are, in this order, ``gre, gpa, rank_1, rank_2, rank_3, rank_4``.
2. ``gre`` and ``gpa`` are standardized: minus their mean, divided by their sample standard
   deviation (``ddof=1``), so that both are numbers of order 1 like the rank columns.
3. With ``np.random.seed(SEED)``, 90% of the rows (360) are drawn at random for training, in the
   order drawn; the other 40 rows, in file order, are kept back to test on.

Defines ``features`` (360 x 6), ``targets`` (360), ``features_test`` (40 x 6) and
``targets_test`` (40) as numpy arrays, and ``SYNTHETIC`` (True when the stand-in is used).
"""

from pathlib import Path

import numpy as np

#: The seed of the train/test split.
SEED = 42

DATA_FILE = Path(__file__).with_name("binary.csv")
COLUMNS = ("admit", "gre", "gpa", "rank")

# Published figures of the real data set, from which the synthetic stand-in is drawn.
N_APPLICANTS = 400
GRE_MEAN, GRE_SD = 587.7, 115.5
GPA_MEAN, GPA_SD = 3.3899, 0.3806
RANK_COUNTS = (61, 151, 121, 67)  # applicants from rank 1, 2, 3, 4
# Logistic regression of admit on gre, gpa and rank (rank 1 is the baseline).
LOGIT_INTERCEPT, LOGIT_GRE, LOGIT_GPA = -3.989979, 0.002264, 0.804038
LOGIT_RANK = (0.0, -0.675443, -1.340204, -1.551464)
SYNTHETIC_SEED = 2016


def read_csv(path):
    """The columns admit, gre, gpa, rank of a CSV file with a header line, as a float array."""
    with open(path, encoding="utf-8") as file:
        header = [name.strip().strip('"') for name in file.readline().split(",")]
        table = np.loadtxt(file, delimiter=",", ndmin=2)
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(missing)} (found {', '.join(header)})")
    return table[:, [header.index(name) for name in COLUMNS]]


def _normal(rng, mean, sd):
    """N_APPLICANTS normal draws, shifted and scaled to have exactly this mean and sd."""
    z = rng.standard_normal(N_APPLICANTS)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


def synthetic_admissions():
    """400 made-up applicants like the real ones (same columns), always the same."""
    rng = np.random.default_rng(SYNTHETIC_SEED)
    rank = rng.permutation(np.repeat([1, 2, 3, 4], RANK_COUNTS))
    # GRE scores come in steps of 20 between 200 and 800; a GPA has two decimals, at most 4.0.
    gre = np.clip(np.round(_normal(rng, GRE_MEAN, GRE_SD) / 20) * 20, 200, 800)
    gpa = np.clip(np.round(_normal(rng, GPA_MEAN, GPA_SD), 2), 2.0, 4.0)
    logit = (LOGIT_INTERCEPT + LOGIT_GRE * gre + LOGIT_GPA * gpa
             + np.array(LOGIT_RANK)[rank - 1])
    admit = (rng.random(N_APPLICANTS) < 1 / (1 + np.exp(-logit))).astype(float)
    return np.column_stack([admit, gre, gpa, rank])


SYNTHETIC = not DATA_FILE.exists()
admissions = synthetic_admissions() if SYNTHETIC else read_csv(DATA_FILE)

# 1. One-hot rank: columns gre, gpa, rank_1, rank_2, rank_3, rank_4.
admit, gre, gpa, rank = admissions.T
one_hot_rank = (rank[:, None] == np.arange(1, 5)).astype(float)
data = np.column_stack([gre, gpa, one_hot_rank])

# 2. Standardize gre and gpa (sample standard deviation, ddof=1).
for column in (0, 1):
    mean, std = data[:, column].mean(), data[:, column].std(ddof=1)
    data[:, column] = (data[:, column] - mean) / std

# 3. A random 90% to train on (in the order drawn); the rest, in file order, to test on.
np.random.seed(SEED)
index = np.arange(len(data))
sample = np.random.choice(index, size=int(len(data) * 0.9), replace=False)
held_out = np.setdiff1d(index, sample)  # sorted: file order

features, targets = data[sample], admit[sample].astype(int)
features_test, targets_test = data[held_out], admit[held_out].astype(int)
