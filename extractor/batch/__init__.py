"""Provider Batch APIs (OpenAI's and compatible ones, vLLM's `run-batch`): the same requests a live
run sends, written as Batch API lines, submitted, polled and collected into the same output.

    lines     the two wire formats: a request line, an output line (`Answer`)
    state     the state file beside ``--out``: every shard, its file and batch ids
    provider  the Files and Batches endpoints, through the official openai SDK
    replay    an article's exchange with the model replayed against the batches' answers
    submit    ``extract batch submit``, crash-safe at every step (and what collect shares)
    collect   ``extract batch status`` and ``collect``, crash-safe at every step
"""
