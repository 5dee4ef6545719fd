"""Reads a --results Parquet directory with pandas and pyarrow, as an analyst would (ResultsParquetIT).

Prints one JSON object: the row count and column names pandas sees, the Arrow type of each column, and a few
values the test compares with trials.csv. Exit status 0 when it could read the table, 1 otherwise.
"""

import json
import sys

import pandas as pd
import pyarrow.parquet as pq


def main(directory):
    table = pq.read_table(directory)
    frame = pd.read_parquet(directory)
    print(json.dumps({
        "rows": len(frame),
        "columns": list(frame.columns),
        "arrow_types": {f.name: str(f.type) for f in table.schema},
        "trial_ids": frame["trial_id"].tolist(),
        "status": frame["status"].tolist(),
        "final_eval_loss_missing": [bool(v) for v in frame["final_eval_loss"].isna()],
        "seq_len": [int(v) for v in frame["seq_len"]],
    }))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: read_results.py PARQUET_DIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
