using System.Net;
using System.Net.Sockets;
using Lora.Abstractions;
using Lora.Client;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace Lora.Client.Tests;

/// <summary>The SDK's promise: errors a user can act on are <see cref="LoraClientException"/> with the cause in the message.</summary>
public sealed class ErrorContractTests
{
    private static readonly LoraClientOptions Options = new() { Gateway = "silo-0:30000" };

    public static TheoryData<Exception> LostContact() => new()
    {
        new SiloUnavailableException("silo S127.0.0.1:11111 is dead"),
        new ConnectionFailedException("connection refused"),
        new GatewayTooBusyException(),
        new TimeoutException("response did not arrive on time in 00:00:30"),
    };

    [Theory]
    [MemberData(nameof(LostContact))]
    public void A_lost_gateway_or_silo_becomes_a_client_error_naming_where_and_why(Exception cause)
    {
        var mapped = ClusterErrors.Translate(cause, Options);
        Assert.NotNull(mapped);
        Assert.Contains("silo-0:30000", mapped.Message);
        Assert.Contains(cause.Message, mapped.Message);
        Assert.Same(cause, mapped.InnerException);
    }

    [Fact]
    public void An_unhosted_base_model_from_placement_becomes_a_client_error_naming_the_hosted_models()
    {
        var mapped = ClusterErrors.Translate(new UnknownBaseModelException("llama-70b", ["tiny-a", "tiny-b"]), Options);
        Assert.NotNull(mapped);
        Assert.Contains("'llama-70b'", mapped.Message);
        Assert.Contains("tiny-a, tiny-b", mapped.Message);
    }

    [Fact]
    public void The_silos_validation_errors_pass_through()
    {
        Assert.Null(ClusterErrors.Translate(new ArgumentException("lora field 'rank' must be >= 1 (got 0)."), Options));
        Assert.Null(ClusterErrors.Translate(new LoraClientException("no job 'x'"), Options));
    }

    [Fact]
    public async Task An_unreachable_gateway_says_why_it_could_not_connect()
    {
        var options = new LoraClientOptions { Gateway = $"127.0.0.1:{UnusedPort()}", ConnectAttempts = 1 };
        var e = await Assert.ThrowsAsync<LoraClientException>(() => LoraClusterClient.ConnectAsync(options));
        Assert.StartsWith($"cannot reach the LoraCluster gateway at {options.Gateway} (is a silo running?): ", e.Message);
        Assert.EndsWith(e.InnerException!.GetBaseException().Message, e.Message);
        Assert.NotEqual("", e.InnerException!.GetBaseException().Message);
    }

    [Fact]
    public void Start_failure_names_every_job_with_its_outcome()
    {
        var started = new JobStatus { JobId = "job-a", BaseModel = "tiny", State = JobState.Queued, TotalSteps = 5 };
        var e = new JobStartException([
            new JobStartResult("job-a", started, null),
            new JobStartResult("job-b", null, new ArgumentException("lora field 'rank' must be >= 1 (got 0).")),
            new JobStartResult("job-c", null, new LoraClientException("lost contact with the cluster")),
        ]);
        Assert.Equal("job 'job-b': lora field 'rank' must be >= 1 (got 0).; job 'job-c': lost contact with the cluster; started: job-a", e.Message);
        Assert.Equal([true, false, false], e.Results.Select(r => r.Started));
        Assert.IsType<ArgumentException>(e.InnerException);
        Assert.IsAssignableFrom<LoraClientException>(e);
    }

    [Fact]
    public void Every_spec_gets_an_id_before_anything_is_sent()
    {
        var specs = JobIds.EnsureAll([Spec(""), Spec("mine"), Spec("")]);
        Assert.Equal("mine", specs[1].JobId);
        Assert.All(specs, s => Assert.False(string.IsNullOrEmpty(s.JobId)));
        Assert.Equal(3, specs.Select(s => s.JobId).Distinct().Count());
    }

    [Fact]
    public void A_job_id_given_twice_is_rejected_naming_it()
    {
        var e = Assert.Throws<LoraClientException>(() => JobIds.EnsureAll([Spec("a"), Spec("b"), Spec("a", "other-model")]));
        Assert.Contains("'a'", e.Message);
        Assert.DoesNotContain("'b'", e.Message);
    }

    [Theory]
    [InlineData(" ", "blank")]
    [InlineData("redis", "HOST:PORT")]
    [InlineData("redis:", "HOST:PORT")]
    public void An_unusable_redis_address_is_rejected(string redis, string expected) =>
        Assert.Contains(expected, Assert.Throws<LoraClientException>(() => new LoraClientOptions { Redis = redis }.Validate()).Message);

    /// <summary>Accepted (Validate does not throw), and a configuration naming the given servers where it is used: the
    /// client hands the string to Orleans' Redis clustering, which parses it with StackExchange.Redis.</summary>
    [Theory]
    [InlineData("redis:6379", "redis:6379")]
    [InlineData("redis-0:6379,redis-1:6379", "redis-0:6379 redis-1:6379")]
    [InlineData("redis:6379,password=secret,ssl=true", "redis:6379")]
    public void Redis_host_port_and_configuration_strings_are_accepted(string redis, string servers)
    {
        var options = new LoraClientOptions { Redis = redis };
        Assert.Null(Record.Exception(() => options.Validate()));
        var parsed = StackExchange.Redis.ConfigurationOptions.Parse(options.Redis!);
        Assert.Equal(servers.Split(' '), parsed.EndPoints.Select(e => e is DnsEndPoint d ? $"{d.Host}:{d.Port}" : $"{e}"));
    }

    [Fact]
    public void The_poll_interval_is_an_option_and_must_be_positive()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), new LoraClientOptions().PollInterval);
        Assert.Throws<LoraClientException>(() => new LoraClientOptions { PollInterval = TimeSpan.Zero }.Validate());
    }

    private static JobSpec Spec(string id, string model = "tiny") => new() { JobId = id, BaseModel = model };

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
