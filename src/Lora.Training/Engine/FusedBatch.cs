using Lora.Training.Data;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>
/// Rows of adapters with the same layout and micro-batch size, contiguous in the fused batch, so their LoRA paths
/// run as one batched product over a (k, rows·T, in) view.
/// </summary>
public sealed record AdapterGroup(AdapterLayout Layout, int RowStart, int RowsPerAdapter, IReadOnlyList<int> Members);

/// <summary>
/// The concatenated, right-padded batch of one fused pass. Participants are reordered so each group's rows are
/// contiguous; <see cref="Groups"/> index back into the caller's participant list.
/// </summary>
public sealed class FusedBatch
{
    private FusedBatch(long[] inputIds, long[] labels, int rows, int seqLen, int[] rowOwner, float[] rowWeight,
        int[] lossTokens, int[] inputTokens, IReadOnlyList<AdapterGroup> groups)
    {
        InputIdsData = inputIds;
        LabelsData = labels;
        Rows = rows;
        SeqLen = seqLen;
        RowOwner = rowOwner;
        RowWeight = rowWeight;
        LossTokens = lossTokens;
        InputTokens = inputTokens;
        Groups = groups;
    }

    public long[] InputIdsData { get; }   // (N·T)
    public long[] LabelsData { get; }     // (N·T)
    public int Rows { get; }
    public int SeqLen { get; }
    /// <summary>Participant index of each row.</summary>
    public int[] RowOwner { get; }
    /// <summary>1 / (loss tokens · accumulation) of the row's participant: the sum of weighted row losses has,
    /// for each adapter, exactly the gradient of that adapter's own mean loss.</summary>
    public float[] RowWeight { get; }
    public int[] LossTokens { get; }
    public int[] InputTokens { get; }
    public IReadOnlyList<AdapterGroup> Groups { get; }

    public static FusedBatch Build(IReadOnlyList<StepParticipant> participants, int padId)
    {
        if (participants.Count == 0) throw new ArgumentException("a fused pass needs at least one participant.");
        var seqLen = participants.Max(p => p.MicroBatch.Max(e => e.Length));
        var order = Enumerable.Range(0, participants.Count)
            .GroupBy(i => (participants[i].Parameters.Layout.Key, participants[i].MicroBatch.Count))
            .ToList();

        int rows = participants.Sum(p => p.MicroBatch.Count);
        var ids = new long[rows * seqLen];
        var labels = new long[rows * seqLen];
        Array.Fill(ids, padId);
        Array.Fill(labels, TrainingExample.IgnoreIndex);
        var owner = new int[rows];
        var weight = new float[rows];
        var lossTokens = participants.Select(p => p.MicroBatch.Sum(e => e.LossTokens)).ToArray();
        var inputTokens = participants.Select(p => p.MicroBatch.Sum(e => e.Length)).ToArray();
        var groups = new List<AdapterGroup>();

        int row = 0;
        foreach (var group in order)
        {
            var members = group.ToArray();
            groups.Add(new AdapterGroup(participants[members[0]].Parameters.Layout, row, group.Key.Count, members));
            foreach (var i in members)
            {
                var p = participants[i];
                var stepTokens = p.StepLossTokens > 0 ? p.StepLossTokens : lossTokens[i] * (double)p.Settings.GradientAccumulation;
                var w = lossTokens[i] == 0 ? 0f : (float)(1.0 / stepTokens);
                foreach (var example in p.MicroBatch)
                {
                    WriteRow(ids, labels, row, seqLen, example);
                    owner[row] = i;
                    weight[row] = w;
                    row++;
                }
            }
        }
        return new FusedBatch(ids, labels, rows, seqLen, owner, weight, lossTokens, inputTokens, groups);
    }

    /// <summary>Right-pads examples of one adapter into (B, T) ids and labels.</summary>
    public static (Tensor InputIds, Tensor Labels, int LossTokens) Pad(IReadOnlyList<TrainingExample> examples, int padId, Device device)
    {
        var seqLen = examples.Max(e => e.Length);
        var ids = new long[examples.Count * seqLen];
        var labels = new long[examples.Count * seqLen];
        Array.Fill(ids, padId);
        Array.Fill(labels, TrainingExample.IgnoreIndex);
        for (int row = 0; row < examples.Count; row++) WriteRow(ids, labels, row, seqLen, examples[row]);
        return (tensor(ids, [examples.Count, seqLen], device: device), tensor(labels, [examples.Count, seqLen], device: device),
            examples.Sum(e => e.LossTokens));
    }

    private static void WriteRow(long[] ids, long[] labels, int row, int seqLen, TrainingExample example)
    {
        for (int t = 0; t < example.Length; t++)
        {
            ids[row * seqLen + t] = example.InputIds[t];
            labels[row * seqLen + t] = example.Labels[t];
        }
    }

    public Tensor InputIds(Device device) => tensor(InputIdsData, [Rows, SeqLen], device: device);
    public Tensor Labels(Device device) => tensor(LabelsData, [Rows, SeqLen], device: device);
}
