# Reads lem's Parquet tidy tables with pandas (pyarrow engine), no options: prints the library versions,
# each file's shape, the config and metric columns with their dtypes, and a group-by over batch size.
# Usage: python3 read_with_pandas.py <folder holding experiments_tidy.parquet, experiments_cycles_tidy.parquet, tidy.parquet>
import sys, importlib
for m in ("pandas", "pyarrow", "fastparquet", "polars", "duckdb"):
    try:
        mod = importlib.import_module(m); print(m, getattr(mod, "__version__", "?"))
    except Exception as e:
        print(m, "missing:", e)
import pandas as pd
for f in ("experiments_tidy.parquet", "experiments_cycles_tidy.parquet", "tidy.parquet"):
    df = pd.read_parquet(sys.argv[1] + "/" + f)
    print(f, df.shape)
    cols = ["experiment_id", "model_name", "backend_name", "precision", "batch_size", "campaign_id", "varied_batching_batch_size", "output_tokens_per_s", "j_per_output_token", "co2_g"]
    print(df[[c for c in cols if c in df.columns]].to_string())
    print(df[[c for c in cols if c in df.columns]].dtypes.to_string())
    print(df.groupby("batch_size")["j_per_output_token"].mean().to_string())
