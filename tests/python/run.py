"""run.py -- runs the Python test modules named on the command line with unittest and adds
one "pass" or "fail" line per test to $E2E_COUNTS (the e2e harness's counter file)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class Counting(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.bad = set()

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.bad.add(test.id())

    def addError(self, test, err):
        super().addError(test, err)
        self.bad.add(test.id())

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.bad.add(test.id())


def main():
    # guarded: Dask's worker processes (multiprocessing spawn) import this module again
    suite = unittest.TestSuite()
    for name in sys.argv[1:]:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromName(name))
    tests = []
    def walk(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                walk(t)
            else:
                tests.append(t.id())
    walk(suite)
    res = unittest.TextTestRunner(resultclass=Counting, verbosity=1, stream=sys.stdout).run(suite)
    with open(os.environ["E2E_COUNTS"], "a") as f:
        for t in tests:
            f.write("fail\n" if t in res.bad else "pass\n")
    for t in sorted(res.bad):
        print("FAIL python:", t)
    sys.exit(0 if res.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
