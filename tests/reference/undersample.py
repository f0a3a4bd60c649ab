"""Reference selections for tests/test_undersample.c: imbalanced-learn's NearMiss on the
12-row fixture of that test. Run with /usr/bin/python3 (python3-imblearn).

Prints, per version, the input rows NearMiss keeps (sorted), i.e.
NearMiss(version=V, n_neighbors=2, n_neighbors_ver3=2, sampling_strategy=1.0).sample_indices_
and the same for TIES (exactly equal scores) with n_neighbors=2, n_neighbors_ver3=3, then
NearMiss-3 on TIES with n_neighbors_ver3=1, where the candidates run short (imbalanced-learn
warns and keeps them all).
"""
import warnings

import imblearn
import numpy as np
from imblearn.under_sampling import NearMiss

# Same rows, same order as FIXTURE in tests/test_undersample.c: (x1, x2, label).
FIXTURE = [
    (2, -3, 0),   # row 0  M0
    (6, 5, 1),    # row 1  A
    (9, -2, 0),   # row 2  M1
    (-3, 8, 0),   # row 3  M2
    (-3, 0, 1),   # row 4  B
    (-4, 7, 0),   # row 5  M3
    (-2, 2, 0),   # row 6  M4
    (6, -1, 1),   # row 7  C
    (-1, 4, 0),   # row 8  M5
    (7, 6, 0),    # row 9  M6
    (-1, 3, 1),   # row 10 D
    (4, 6, 0),    # row 11 M7
]

# Same as TIES in tests/test_undersample.c: three identical majority rows compete for two places.
TIES = [
    (3, 0, 0),  # row 0
    (0, 0, 1),  # row 1
    (3, 0, 0),  # row 2
    (5, 0, 0),  # row 3
    (1, 0, 1),  # row 4
    (3, 0, 0),  # row 5
]


def kept_rows(rows, version, n_neighbors_ver3):
    data = np.array(rows, dtype=float)
    x, y = data[:, :2], data[:, 2].astype(int)
    nm = NearMiss(version=version, n_neighbors=2, n_neighbors_ver3=n_neighbors_ver3,
                  sampling_strategy=1.0)
    nm.fit_resample(x, y)
    return sorted(int(i) for i in nm.sample_indices_)


def main():
    warnings.simplefilter("ignore", UserWarning)  # the short-candidates warning is expected
    print(f"imbalanced-learn {imblearn.__version__}")
    for version in (1, 2, 3):
        print(f"fixture nearmiss{version}: {kept_rows(FIXTURE, version, 2)}")
    for version in (1, 2, 3):
        print(f"ties nearmiss{version}: {kept_rows(TIES, version, 3)}")
    print(f"ties nearmiss3 n_neighbors_ver3=1: {kept_rows(TIES, 3, 1)}")


if __name__ == "__main__":
    main()
