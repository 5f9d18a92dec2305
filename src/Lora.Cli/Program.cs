using Lora.Cli;

// All wiring lives in LoraCli so tests run the exact same command tree in-process.
return await LoraCli.RunAsync(args, Console.Out, Console.Error);
