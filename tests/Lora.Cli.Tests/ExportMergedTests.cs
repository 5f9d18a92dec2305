namespace Lora.Cli.Tests;

/// <summary>`lora export-merged`: the merged model scores exactly like base + adapter (merge == W + scaling·BA).</summary>
[Collection(TinyWorkspaceCollection.Name)]
public sealed class ExportMergedTests(TinyWorkspace workspace)
{
    private const string Ids = "256 97 98 99 100 101 102 103 104 105 106 107 108";

    [Fact]
    public async Task Merged_model_gives_the_same_loss_as_the_base_with_its_adapter()
    {
        _ = workspace.TrainSummary;
        var merged = Path.Combine(workspace.Root, "merged");
        var export = await CliRun.RunAsync("export-merged", "--model", workspace.ModelDir, "--adapter", workspace.AdapterDir, "--out", merged);
        Assert.True(export.ExitCode == 0, export.Stderr);

        var withAdapter = await Loss("--model", workspace.ModelDir, "--adapter", workspace.AdapterDir);
        var mergedLoss = await Loss("--model", merged);
        var bare = await Loss("--model", workspace.ModelDir);
        Assert.Equal(withAdapter, mergedLoss, 1e-4);
        Assert.True(Math.Abs(bare - withAdapter) > 1e-3, $"the trained adapter should change the loss (bare {bare}, adapter {withAdapter})");
        Assert.True(File.Exists(Path.Combine(merged, "tokenizer.json")));
    }

    [Fact]
    public async Task A_sharded_merged_export_scores_like_the_single_file_one()
    {
        _ = workspace.TrainSummary;
        var sharded = Path.Combine(workspace.Root, "merged-sharded");
        var export = await CliRun.RunAsync("export-merged", "--model", workspace.ModelDir, "--adapter", workspace.AdapterDir,
            "--out", sharded, "--max-shard-size", "64KiB");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.True(File.Exists(Path.Combine(sharded, "model.safetensors.index.json")));
        Assert.True(Directory.GetFiles(sharded, "model-*-of-*.safetensors").Length > 1);
        Assert.Equal(await Loss("--model", workspace.ModelDir, "--adapter", workspace.AdapterDir), await Loss("--model", sharded), 1e-4);

        var bad = await CliRun.RunAsync("export-merged", "--model", workspace.ModelDir, "--adapter", workspace.AdapterDir,
            "--out", Path.Combine(workspace.Root, "never"), "--max-shard-size", "lots");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--max-shard-size: 'lots' is not a size", bad.Stderr);
    }

    [Fact]
    public async Task Export_without_an_adapter_directory_fails_naming_it()
    {
        var result = await CliRun.RunAsync("export-merged", "--model", workspace.ModelDir, "--adapter", "/no/such/adapter",
            "--out", Path.Combine(workspace.Root, "never"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/no/such/adapter", result.Stderr);
    }

    [Fact]
    public async Task The_merged_config_is_the_base_config_with_its_dtype_and_generation_config_comes_along()
    {
        _ = workspace.TrainSummary;
        // A copy of the base whose config carries what the engine's own config record does not hold.
        var baseCopy = Path.Combine(workspace.Root, "base-with-extras");
        Directory.CreateDirectory(baseCopy);
        foreach (var file in Directory.GetFiles(workspace.ModelDir)) File.Copy(file, Path.Combine(baseCopy, Path.GetFileName(file)), true);
        var config = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(baseCopy, "config.json")))!;
        config["eos_token_id"] = new System.Text.Json.Nodes.JsonArray(257, 258);
        config["custom_field"] = "kept";
        await File.WriteAllTextAsync(Path.Combine(baseCopy, "config.json"), config.ToJsonString());
        await File.WriteAllTextAsync(Path.Combine(baseCopy, "generation_config.json"), """{"eos_token_id": [257, 258]}""");

        var merged = Path.Combine(workspace.Root, "merged-extras");
        var export = await CliRun.RunAsync("export-merged", "--model", baseCopy, "--adapter", workspace.AdapterDir, "--out", merged,
            "--dtype", "bfloat16");
        Assert.True(export.ExitCode == 0, export.Stderr);
        var written = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(merged, "config.json")))!;
        Assert.Equal("[257,258]", written["eos_token_id"]!.ToJsonString());
        Assert.Equal("kept", written["custom_field"]!.GetValue<string>());
        Assert.Equal("bfloat16", written["torch_dtype"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(merged, "generation_config.json")));
        Assert.Equal(await Loss("--model", baseCopy, "--adapter", workspace.AdapterDir), await Loss("--model", merged), 2e-2);   // bf16 storage
    }

    [Fact]
    public async Task Exporting_over_the_base_model_is_refused_and_leaves_the_base_untouched()
    {
        var weights = Path.Combine(workspace.ModelDir, "model.safetensors");
        var before = await File.ReadAllBytesAsync(weights);
        var result = await CliRun.RunAsync("export-merged", "--model", workspace.ModelDir, "--adapter", workspace.AdapterDir,
            "--out", workspace.ModelDir + "/");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--out", result.Stderr);
        Assert.Contains("is the base model's own", result.Stderr);
        Assert.Equal(before, await File.ReadAllBytesAsync(weights));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(workspace.ModelDir)!, "*.partial-*"));
    }

    [Fact]
    public async Task Exporting_through_a_symlink_to_the_base_model_is_refused_and_leaves_the_base_untouched()
    {
        var weights = Path.Combine(workspace.ModelDir, "model.safetensors");
        var before = await File.ReadAllBytesAsync(weights);
        var links = Directory.CreateTempSubdirectory("lora-export-links-").FullName;
        try
        {
            // A link to the base itself, and a link to its parent folder with the base's name after it.
            var direct = Directory.CreateSymbolicLink(Path.Combine(links, "base"), workspace.ModelDir).FullName;
            var parent = Directory.CreateSymbolicLink(Path.Combine(links, "parent"), Path.GetDirectoryName(workspace.ModelDir)!).FullName;
            var relative = Directory.CreateSymbolicLink(Path.Combine(links, "relative"), "base").FullName;   // a link to a link
            foreach (var target in new[] { direct, Path.Combine(parent, Path.GetFileName(workspace.ModelDir)), relative + "/" })
            {
                var line = (await CliRun.RunAsync("export-merged", "--model", workspace.ModelDir, "--adapter", workspace.AdapterDir,
                    "--out", target)).SingleErrorLine();
                Assert.Contains($"--out: '{target}' is the base model's own", line);
                Assert.Contains("--model", line);
            }
            Assert.Equal(before, await File.ReadAllBytesAsync(weights));
            Assert.Empty(Directory.GetDirectories(links, "*.partial-*"));
        }
        finally
        {
            Directory.Delete(links, recursive: true);   // removes the links, not what they point to
        }
    }

    private static async Task<double> Loss(params string[] model)
    {
        var result = await CliRun.RunAsync(["eval", .. model, "--token-ids", Ids, "--json", "--threads", "1"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Json().GetProperty("loss").GetDouble();
    }
}
