"""A progress bar for management commands, on stderr so stdout keeps only the results."""

import time


class Progress:
    """
    `with Progress(command.stderr, "messages", total) as bar: bar.advance(n)`.

    On a terminal the bar redraws in place; otherwise (a log, a test) it writes a line at
    each tenth, so logs stay readable. Nothing at all with `quiet`.
    """

    WIDTH = 30

    def __init__(self, stream, label, total, quiet=False):
        self.stream, self.label, self.total, self.quiet = stream, label, max(total, 0), quiet
        self.done = 0
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.perf_counter()
        self._last_tenth = -1

    def __enter__(self):
        self._draw()
        return self

    def __exit__(self, *exc):
        if not self.quiet and self.tty:
            self.stream.write("", ending="\n")
        return False

    def advance(self, count=1):
        self.done = min(self.total, self.done + count)
        self._draw()

    def _draw(self):
        if self.quiet:
            return
        fraction = self.done / self.total if self.total else 1.0
        tenth = int(fraction * 10)
        if not self.tty and tenth == self._last_tenth:
            return
        self._last_tenth = tenth
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        seconds = time.perf_counter() - self.started
        line = f"{self.label:<12} [{bar}] {fraction:4.0%} {self.done:,}/{self.total:,} {seconds:.1f}s"
        if self.tty:
            self.stream.write("\r" + line, ending="", style_func=lambda text: text)
            self.stream.flush()
        else:
            self.stream.write(line, style_func=lambda text: text)
