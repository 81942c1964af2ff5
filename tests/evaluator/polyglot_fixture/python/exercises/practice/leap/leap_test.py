import unittest

from leap import leap_year


class LeapTest(unittest.TestCase):
    def test_years(self):
        self.assertIs(leap_year(2015), False)
        self.assertIs(leap_year(1996), True)
        self.assertIs(leap_year(2100), False)
        self.assertIs(leap_year(2000), True)
