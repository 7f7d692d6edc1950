"""IEInstruct: the instruction corpus built from every train-role IE dataset (work in progress: the builder
lands in a later commit). `seeding`: per-purpose RNGs; `records`: atomic JSONL writing and Instance records;
`guard`: the held-out sentence index used to drop overlapping training text."""
