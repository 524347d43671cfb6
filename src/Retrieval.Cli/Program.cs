using Retrieval.Cli;

return await CliApp.RunAsync(args);
