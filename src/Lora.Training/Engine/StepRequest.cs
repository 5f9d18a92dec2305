namespace Lora.Training.Engine;

/// <summary>An adapter's pending optimizer step: it joins one fused pass per micro-batch until the step completes.</summary>
internal sealed class StepRequest(AdapterSession session)
{
    public AdapterSession Session { get; } = session;
    public TimeSpan Arrival { get; } = EngineClock.Now;
    public int MicroBatchesDone { get; set; }
    /// <summary>Set (under the engine lock) once a pass has taken the request: from then on it can no longer be
    /// withdrawn, since the pass will move the adapter's cursor and maybe its parameters whatever the caller wants.</summary>
    public bool InPass { get; set; }
    /// <summary>A pass has left it out for want of token room while taking newer requests; it is not left out twice.</summary>
    public bool PassedOver { get; set; }
    /// <summary>Σ loss × loss tokens over the micro-batches done: the step's loss is this over <see cref="StepLossTokens"/>.</summary>
    public double LossSum { get; set; }
    /// <summary>Loss tokens of all the step's micro-batches, counted when its first one is drawn.</summary>
    public int StepLossTokens { get; set; }
    public int Tokens { get; set; }
    public int MaxFused { get; set; }
    public TaskCompletionSource<TrainingStepResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int MicroBatchesPerStep => Session.Job.Training.GradientAccumulation;
    public bool LastMicroBatch => MicroBatchesDone + 1 == MicroBatchesPerStep;
    /// <summary>Upper bound on the padded tokens this request adds to a pass.</summary>
    public long TokenEstimate => (long)Session.Job.Training.BatchSize * Session.Job.Training.SeqLen;
}
