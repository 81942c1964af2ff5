import unittest

from agent.matching import closest_lines, forgiving_match


class MatchingTest(unittest.TestCase):
    def test_four_spaces_in_a_file_indented_with_tabs(self):
        text = "func F(n int) int {\n\tif n%2 != 0 {\n\t\treturn 1\n\t}\n\treturn 0\n}\n"
        old, new = forgiving_match(text, "    if n%2 != 0 {\n        return 1",
                                   "    if n%2 == 0 {\n        return 1")
        self.assertEqual(old, "\tif n%2 != 0 {\n\t\treturn 1")
        self.assertEqual(new, "\tif n%2 == 0 {\n\t\treturn 1")

    def test_four_spaces_in_a_file_indented_with_two(self):
        text = "function f(w) {\n  if (w) {\n    return w.slice(0);\n  }\n}\n"
        old, new = forgiving_match(text, "    return w.slice(0);", "    return w.slice(1);")
        self.assertEqual((old, new), ("    return w.slice(0);", "    return w.slice(1);"))
        old, new = forgiving_match(text, "    if (w) {\n        return w.slice(0);",
                                   "    if (w) {\n        return w.slice(1);")
        self.assertEqual(new, "  if (w) {\n    return w.slice(1);")

    def test_inconsistent_indentation_is_mapped_line_by_line(self):
        text = ("class T:\n    def view(self, path):\n        try:\n            x = 1\n"
                "        except OSError:\n            x = 2\n        return x\n")
        old = ("def view(self, path):\n        try:\n            x = 1\n"
               "        except OSError:\n            x = 2\n        return x")
        new = ("def view(self, path):\n        try:\n            x = 1\n"
               "        except OSError:\n            x = 2\n        return x + 1")
        found, replacement = forgiving_match(text, old, new)
        self.assertEqual(found, text[len("class T:\n"):].rstrip("\n"))
        edited = text.replace(found, replacement)
        self.assertIn("        return x + 1\n", edited)
        compile(edited, "t.py", "exec")

    def test_line_numbers_copied_from_view(self):
        text = "def f():\n    return 1\n"
        old, new = forgiving_match(text, "    2\t    return 1", "    2\t    return 2")
        self.assertEqual((old, new), ("    return 1", "    return 2"))

    def test_no_single_match_changes_nothing(self):
        text = "x = 1\nx = 1\n"
        self.assertEqual(forgiving_match(text, "  x = 1", "x = 2"), ("  x = 1", "x = 2"))

    def test_closest_lines_show_where_a_guess_went_wrong(self):
        text = "\n".join(f"def f{i}(x):\n    return x * {i}\n" for i in range(40))
        guess = "def f17(y):\n    return y * 17"
        shown = closest_lines(text, guess, context=1)
        numbered = shown.split("\n")
        self.assertEqual(numbered[1], "   52\tdef f17(x):")
        self.assertEqual(numbered[2], "   53\t    return x * 17")
        self.assertEqual(len(numbered), 4)

    def test_a_guessed_body_is_placed_by_its_first_line(self):
        text = "\n".join(f"    def tool_{i}(self, path, start=None):\n        return {i}\n"
                         for i in range(40))
        guess = ("def tool_31(path, start=None):\n    # Show a file.\n"
                 "    if os.path.isdir(path):\n        return list_files(path)")
        shown = closest_lines(text, guess, context=0).split("\n")
        self.assertEqual(shown[0], "   94\t    def tool_31(self, path, start=None):")
        self.assertEqual(len(shown), 4)

    def test_a_short_file_is_shown_whole(self):
        self.assertEqual(closest_lines("a = 1\nb = 2", "c = 3"), "    1\ta = 1\n    2\tb = 2")
        self.assertEqual(closest_lines("", "c = 3"), "")


if __name__ == "__main__":
    unittest.main()
