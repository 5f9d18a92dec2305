using Lora.Training.Data;

namespace Lora.Training.Tests.Data;

public sealed class SplitAndCursorTests
{
    private static TrainingExample[] Examples(int n) =>
        [.. Enumerable.Range(0, n).Select(i => new TrainingExample([i], [i]))];

    private static int Key(TrainingExample e) => e.InputIds[0];

    [Fact]
    public void Split_is_deterministic_for_a_seed_and_partitions_the_items()
    {
        var items = Enumerable.Range(0, 20).ToArray();
        var a = DatasetSplit.Split(items, 0.25, seed: 7);
        var b = DatasetSplit.Split(items, 0.25, seed: 7);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Eval, b.Eval);
        Assert.Equal(5, a.Eval.Count);
        Assert.Equal(items, a.Train.Concat(a.Eval).Order());
        Assert.NotEqual(a.Eval, DatasetSplit.Split(items, 0.25, seed: 8).Eval);
    }

    [Theory]
    [InlineData(1, 0.5, 0)]
    [InlineData(2, 0.01, 1)]
    [InlineData(3, 0.9, 2)]
    [InlineData(10, 0.0, 0)]
    public void Eval_gets_at_least_one_but_never_everything(int n, double fraction, int expectedEval)
    {
        var (train, eval) = DatasetSplit.Split(Enumerable.Range(0, n).ToArray(), fraction, seed: 1);
        Assert.Equal(expectedEval, eval.Count);
        Assert.Equal(n - expectedEval, train.Count);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Split_rejects_fractions_outside_zero_to_one(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Split(new[] { 1, 2 }, fraction, 1));

    [Fact]
    public void Each_epoch_visits_every_example_once_in_a_seeded_order()
    {
        var cursor = new DataCursor(Examples(10), seed: 42);
        var epoch0 = cursor.NextBatch(10).Examples.Select(Key).ToArray();
        var epoch1 = cursor.NextBatch(10).Examples.Select(Key).ToArray();
        Assert.Equal(Enumerable.Range(0, 10), epoch0.Order());
        Assert.Equal(Enumerable.Range(0, 10), epoch1.Order());
        Assert.NotEqual(epoch0, epoch1);
        Assert.Equal(new CursorPosition(2, 0), cursor.Position);
        Assert.Equal(epoch0, new DataCursor(Examples(10), seed: 42).NextBatch(10).Examples.Select(Key));
        Assert.NotEqual(epoch0, new DataCursor(Examples(10), seed: 43).NextBatch(10).Examples.Select(Key));
    }

    [Fact]
    public void Batches_cross_epoch_boundaries_and_stay_full()
    {
        var cursor = new DataCursor(Examples(5), seed: 3);
        var first = cursor.NextBatch(3);
        var second = cursor.NextBatch(3);
        Assert.Equal(new CursorPosition(0, 0), first.Start);
        Assert.Equal(new CursorPosition(0, 3), first.Next);
        Assert.Equal(3, second.Examples.Count);
        Assert.Equal(new CursorPosition(1, 1), second.Next);
        Assert.Equal(cursor.OrderFor(1)[0], Key(second.Examples[2]));
    }

    [Fact]
    public void Cursor_resumes_exactly_from_a_saved_position()
    {
        var examples = Examples(7);
        var original = new DataCursor(examples, seed: 99);
        for (var i = 0; i < 4; i++) original.NextBatch(3);
        var saved = original.Position;
        var expected = Enumerable.Range(0, 6).Select(_ => original.NextBatch(3).Examples.Select(Key).ToArray()).ToArray();

        // Only two ints go through a checkpoint.
        var (epoch, index) = (saved.Epoch, saved.Index);
        var resumed = new DataCursor(examples, seed: 99, new CursorPosition(epoch, index));
        var actual = Enumerable.Range(0, 6).Select(_ => resumed.NextBatch(3).Examples.Select(Key).ToArray()).ToArray();
        Assert.Equal(expected, actual);
        Assert.Equal(original.Position, resumed.Position);
    }

    [Fact]
    public void Cursor_rejects_invalid_positions_and_empty_data()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataCursor(Examples(3), 1, new CursorPosition(0, 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataCursor(Examples(3), 1, new CursorPosition(-1, 0)));
        Assert.Throws<ArgumentException>(() => new DataCursor([], 1));
    }

    [Fact]
    public void Peeking_loss_tokens_across_an_epoch_boundary_matches_the_batches_drawn_next_and_moves_nothing()
    {
        // Example i has 8 - i loss tokens, so which examples a peek counts shows in the sum.
        var examples = Enumerable.Range(0, 7).Select(i => new TrainingExample(Enumerable.Repeat(i, 8).ToArray(),
            Enumerable.Range(0, 8).Select(t => t < i ? TrainingExample.IgnoreIndex : i).ToArray())).ToArray();
        var cursor = new DataCursor(examples, seed: 3);
        cursor.NextBatch(5);
        var at = cursor.Position;
        var peeked = cursor.PeekLossTokens(batchSize: 3, batches: 2);   // crosses into epoch 1
        Assert.Equal(at, cursor.Position);
        var drawn = cursor.NextBatch(3).Examples.Concat(cursor.NextBatch(3).Examples).Sum(e => e.LossTokens);
        Assert.Equal(drawn, peeked);
        Assert.True(peeked > 0);
        Assert.Equal(1, cursor.Position.Epoch);
    }
}
