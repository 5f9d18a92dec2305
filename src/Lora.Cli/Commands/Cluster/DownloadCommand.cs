using System.CommandLine;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora download JOB --out DIR`: writes the finished adapter in PEFT format.</summary>
public static class DownloadCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "Job id" };
        var output = new Option<string>("--out") { Description = "Folder for adapter_model.safetensors and adapter_config.json", Required = true, HelpName = "DIR" };
        var json = new Option<bool>("--json") { Description = "Print the written paths as JSON" };
        var command = new Command("download", "Download a completed job's adapter (HuggingFace PEFT format)") { job, output, json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, () => OutDirectory.Check("--out", parse.GetValue(output)), async (client, token) =>
        {
            var result = await client.DownloadAdapterAsync(parse.GetValue(job)!, parse.GetValue(output)!, token);
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ClusterJson.Print(stdout, result);
            else stdout.WriteLine($"{result.WeightsPath} ({result.WeightsBytes:N0} bytes)\n{result.ConfigPath}");
            return 0;
        }, ct));
        return command;
    }
}
