# The hooks of DetCo pre-training, for MMPretrain (configs/detco/) and
# MMSelfSup (configs/mmselfsup/) alike; the configs append their evaluation
# hooks (BN statistics, kNN monitor).
custom_hooks = [
    # stop before the first iteration if queue_len and the global batch
    # disagree
    dict(type='DetCoQueueCheckHook'),
    # log spread / positive cosine / top-1 of every branch, warn on collapse
    dict(type='DetCoHealthHook', collapse_ratio=0.05, patience=10),
    # a resumed run is the run that would have happened
    # (docs/en/long_runs.md): the random generators in every checkpoint
    dict(type='RNGStateHook'),
    # SIGTERM / SIGUSR1: finish the iteration, checkpoint, exit
    dict(type='PreemptionHook', signals=('SIGTERM', 'SIGUSR1')),
]
