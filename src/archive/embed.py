"""Writes a C file that holds verify.py as the array archive_verify_py."""

import sys

data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "w") as out:
    out.write("/* Generated from verify.py by embed.py; do not edit. */\n")
    out.write("const char archive_verify_py[] = {\n")
    for i in range(0, len(data), 12):
        out.write("  " + ", ".join("0x%02x" % b for b in data[i:i + 12]) + ",\n")
    out.write("  0x00\n};\n")
    out.write("const unsigned long archive_verify_py_len = %d;\n" % len(data))
