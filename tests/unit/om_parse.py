#!/usr/bin/env python3
"""om_parse.py -- parses an exposition with the Prometheus project's own
Python parser (python3-prometheus-client), so xmucd's /metrics is checked
by code we did not write.

  om_parse.py openmetrics|prometheus FILE

Prints one line per family ("family NAME TYPE UNIT") and per sample
("sample NAME{k=v,...} VALUE", labels sorted); exits 1 with the parser's
complaint when the text is not valid."""
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families)
from prometheus_client.parser import (
    text_string_to_metric_families as prometheus_families)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    parse = openmetrics_families if kind == "openmetrics" else prometheus_families
    try:
        for fam in parse(text):
            print("family %s %s %s" % (fam.name, fam.type, fam.unit or "-"))
            for s in fam.samples:
                labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
                print("sample %s{%s} %r" % (s.name, labels, float(s.value)))
    except Exception as e:  # the parser's complaint is the verdict
        print("invalid %s: %s" % (kind, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
