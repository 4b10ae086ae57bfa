"""
What a picture upload costs: time and peak memory above the process's size before it (VmHWM
after resetting it, Linux), for avatars and attachments, each case in a fresh process.
Prints a table; not a test.

    .venv/bin/python bench/images.py
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("avatar", "9000x9000.png"),
    ("attachment", "7000x7000.png"),
    ("avatar", "5000x5000.png"),
    ("attachment", "5000x5000.png"),
    ("avatar", "6000x4000.jpg"),
    ("attachment", "6000x4000.jpg"),
]

ONE = """
import os, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from core.images import resized_avatar
from rooms.attachments import Attachment
path, what = sys.argv[1], sys.argv[2]
upload = SimpleUploadedFile(os.path.basename(path), open(path, "rb").read())
run = resized_avatar if what == "avatar" else Attachment.from_upload
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak (VmHWM) starts again from here
started = time.perf_counter()
try:
    run(upload)
    result = "accepted"
except Exception:
    result = "refused"
seconds = time.perf_counter() - started
grown = (status("VmHWM") - before) / 1024
print(f"{{seconds:.2f}} s | +{{grown:.0f}} MB | {{result}}")
"""


def make_pictures(folder):
    from PIL import Image

    for name in {name for _, name in CASES}:
        size = tuple(int(n) for n in Path(name).stem.split("x"))
        grey = Image.linear_gradient("L").resize(size)
        picture = Image.merge("RGB", (grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grey))
        if name.endswith(".png"):
            picture.save(folder / name, compress_level=9)
        else:
            picture.save(folder / name, quality=90)


def main():
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        make_pictures(folder)
        print("| picture | as | KB | time | peak memory | result |")
        print("| --- | --- | ---: | ---: | ---: | --- |")
        for what, name in CASES:
            path = folder / name
            out = subprocess.run(
                [sys.executable, "-c", ONE.format(root=str(ROOT)), str(path), what],
                capture_output=True, text=True, env={**os.environ}, check=True,
            ).stdout.strip().splitlines()[-1]
            print(f"| {name} | {what} | {path.stat().st_size // 1024:,} | {out} |")


if __name__ == "__main__":
    main()
