using Lora.Client;

namespace Lora.Client.Tests;

public sealed class FailFastTests
{
    [Fact]
    public async Task The_first_failure_is_thrown_at_once_and_stops_the_others()
    {
        using var stop = new CancellationTokenSource();
        var endless = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => 1, TaskScheduler.Default);
        var failing = Task.FromException<int>(new LoraClientException("no job 'b'"));
        var wait = FailFast.WhenAllAsync([endless, failing], stop);
        // Task.WhenAll would wait for the endless task forever.
        var finished = await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(wait, finished);
        Assert.Equal("no job 'b'", (await Assert.ThrowsAsync<LoraClientException>(() => wait)).Message);
        Assert.True(stop.IsCancellationRequested);
    }

    [Fact]
    public async Task Results_come_in_input_order_when_all_succeed()
    {
        using var stop = new CancellationTokenSource();
        var slow = Task.Delay(50).ContinueWith(_ => "slow", TaskScheduler.Default);
        Assert.Equal(["slow", "fast"], await FailFast.WhenAllAsync([slow, Task.FromResult("fast")], stop));
        Assert.False(stop.IsCancellationRequested);
    }
}
