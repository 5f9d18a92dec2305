using Lora.Abstractions;
using Lora.Client;

namespace Lora.Client.Tests;

public sealed class ClientOptionsTests
{
    [Theory]
    [InlineData("localhost:30000", "localhost", 30000)]
    [InlineData("10.0.0.7:1", "10.0.0.7", 1)]
    [InlineData("[::1]:30000", "::1", 30000)]
    [InlineData("silo-0.lora.svc.cluster.local:30000", "silo-0.lora.svc.cluster.local", 30000)]
    public void HostPort_parses(string text, string host, int port) => Assert.Equal(new HostPort(host, port), HostPort.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("localhost:")]
    [InlineData(":30000")]
    [InlineData("localhost:0")]
    [InlineData("localhost:70000")]
    [InlineData("::1:30000")]
    [InlineData("localhost:http")]
    public void HostPort_rejects(string text)
    {
        var e = Assert.Throws<LoraClientException>(() => HostPort.Parse(text));
        Assert.Contains("HOST:PORT", e.Message);
    }

    [Fact]
    public async Task Ip_literals_resolve_without_dns()
    {
        var endpoint = await HostPort.Parse("127.0.0.1:30000").ResolveAsync();
        Assert.Equal("127.0.0.1:30000", endpoint.ToString());
    }

    [Fact]
    public void Defaults_match_the_development_silo()
    {
        var o = new LoraClientOptions();
        Assert.Equal("localhost:30000", o.Gateway);
        Assert.Null(o.Redis);
        Assert.Equal("lora-dev", o.ClusterId);
        Assert.Equal("lora-cluster", o.ServiceId);
        Assert.True(o.MaxMessageBodyBytes >= 256 * 1024 * 1024, "must accept the largest message a silo sends");
        Assert.Equal("the LoraCluster gateway at localhost:30000", o.Describe());
    }

    [Fact]
    public void New_job_ids_are_job_and_eight_hex()
    {
        var id = JobIds.New();
        Assert.Matches("^job-[0-9a-f]{8}$", id);
        Assert.NotEqual(id, JobIds.New());
    }

    [Fact]
    public void Ensure_fills_an_empty_id_and_keeps_a_given_one()
    {
        Assert.Matches("^job-[0-9a-f]{8}$", JobIds.Ensure(new JobSpec { JobId = "", BaseModel = "tiny" }).JobId);
        Assert.Equal("mine", JobIds.Ensure(new JobSpec { JobId = "mine", BaseModel = "tiny" }).JobId);
    }

    [Theory]
    [InlineData("bad/id", "tiny", "job id 'bad/id'")]
    [InlineData("ok", "no spaces", "base model id 'no spaces'")]
    public void Ensure_rejects_ids_that_cannot_be_keys(string jobId, string model, string expected)
    {
        var e = Assert.Throws<LoraClientException>(() => JobIds.Ensure(new JobSpec { JobId = jobId, BaseModel = model }));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_base_model_error_names_requested_and_hosted_models()
    {
        var models = new[] { Model("tiny-llama"), Model("smol-135m") };
        LoraClusterClient.EnsureHosted("tiny-llama", models);
        var e = Assert.Throws<LoraClientException>(() => LoraClusterClient.EnsureHosted("llama-70b", models));
        Assert.Contains("'llama-70b'", e.Message);
        Assert.Contains("tiny-llama", e.Message);
        Assert.Contains("smol-135m", e.Message);
        Assert.Contains("none", Assert.Throws<LoraClientException>(() => LoraClusterClient.EnsureHosted("x", [])).Message);
    }

    private static BaseModelInfo Model(string id) => new() { Id = id, Silo = "silo-1" };
}
