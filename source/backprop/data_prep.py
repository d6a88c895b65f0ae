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

Defines, as the original lesson did, ``features`` (a pandas DataFrame of 360 rows and the six
columns above, floats) and ``targets`` (a pandas Series named ``admit``, 0 or 1) to train on,
``features_test`` and ``targets_test`` (40 rows) to test on, each row labelled with its row
number in the file; and ``SYNTHETIC`` (True when the stand-in is used). ``features.values`` is
the numpy array of the numbers, one row per applicant.
"""

from pathlib import Path

import numpy as np
import pandas as pd

#: The seed of the train/test split.
SEED = 21

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
    """The columns admit, gre, gpa, rank of a CSV file with a header line, as a DataFrame."""
    table = pd.read_csv(path, skipinitialspace=True)
    table.columns = [str(name).strip() for name in table.columns]
    missing = [name for name in COLUMNS if name not in table.columns]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(missing)} "
                         f"(found {', '.join(table.columns)})")
    return table[list(COLUMNS)].astype(float)


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
    return pd.DataFrame({"admit": admit, "gre": gre, "gpa": gpa, "rank": rank.astype(float)})


SYNTHETIC = not DATA_FILE.exists()
admissions = synthetic_admissions() if SYNTHETIC else read_csv(DATA_FILE)

# 1. One-hot rank: columns gre, gpa, rank_1, rank_2, rank_3, rank_4 (floats, 0 or 1).
data = admissions[["admit", "gre", "gpa"]].copy()
data["admit"] = data["admit"].astype(int)
for r in range(1, 5):
    data[f"rank_{r}"] = (admissions["rank"] == r).astype(float)

# 2. Standardize gre and gpa (pandas' std is the sample standard deviation, ddof=1).
for column in ("gre", "gpa"):
    data[column] = (data[column] - data[column].mean()) / data[column].std()

# 3. A random 90% to train on (in the order drawn); the rest, in file order, to test on.
#    Rows keep their label: their row number in the file.
np.random.seed(SEED)
sample = np.random.choice(data.index, size=int(len(data) * 0.9), replace=False)
train, test = data.loc[sample], data.drop(index=sample)

features, targets = train.drop(columns="admit"), train["admit"]
features_test, targets_test = test.drop(columns="admit"), test["admit"]
