"""search_function's answer: a list of function records that prints as a table."""

COLUMNS = (("name", 24), ("function_uuid", 36), ("runtime", 10), ("owner", 16), ("description", 40))


class SearchResults(list):
    """A page of matches (newest first). Index it like a list; `total` counts all matches."""

    def __init__(self, functions, total, offset, limit, query):
        super().__init__(functions)
        self.total = total
        self.offset = offset
        self.limit = limit
        self.query = query

    def __str__(self):
        widths = [width for _, width in COLUMNS]
        rows = [[name for name, _ in COLUMNS]]
        rows += [[_cell(record.get(name), width) for name, width in COLUMNS] for record in self]
        widths = [min(width, max(len(row[i]) for row in rows)) for i, width in enumerate(widths)]
        line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        text = [line, _row(rows[0], widths), line] + [_row(row, widths) for row in rows[1:]] + [line]
        shown = "%d-%d" % (self.offset + 1, self.offset + len(self)) if self else "none"
        text.append("%s of %d matching %r" % (shown, self.total, self.query))
        return "\n".join(text)

    def __repr__(self):
        return "SearchResults(%s, total=%d)" % (list.__repr__(self), self.total)


def _cell(value, width):
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _row(cells, widths):
    return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"
