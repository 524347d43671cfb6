using Microsoft.Extensions.FileProviders;

namespace Retrieval.Server.OperatorConsole;

/// <summary>
/// Serves the operator console (static ES modules that call the public REST API, docs/decisions.md "Operator console")
/// at <c>/console</c>, redirects <c>/</c> there, and serves the API explorer at <c>/docs</c> from the OpenAPI document.
/// </summary>
internal static class OperatorConsoleEndpoints
{
    public const string ConsolePath = "/console";
    public const string ExplorerPrefix = "docs";
    private const string OpenApiDocument = "/swagger/v1/swagger.json";

    /// <summary>The console's files, copied next to the server binary by the build (OperatorConsole/app → console/).</summary>
    public static string FilesDirectory => Path.Combine(AppContext.BaseDirectory, "console");

    public static WebApplication MapOperatorConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!Directory.Exists(FilesDirectory))
        {
            throw new DirectoryNotFoundException($"the operator console's files are missing: {FilesDirectory}");
        }

        var files = new PhysicalFileProvider(FilesDirectory);
        // Relative module paths in index.html resolve against /console/, so the bare path gets its slash. (A route
        // template cannot do this: routing treats /console and /console/ as the same path.)
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value == ConsolePath)
            {
                context.Response.Redirect(ConsolePath + "/");
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = ConsolePath });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = ConsolePath,
            // The console is a handful of small files; revalidating each load means an upgraded server never runs a stale page.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        // The redirect reaches no data: open to anonymous callers when API keys are on, like the console's files.
        app.MapGet("/", () => Results.Redirect(ConsolePath + "/")).ExcludeFromDescription().AllowAnonymous();
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = ExplorerPrefix;
            ui.DocumentTitle = "Retrieval API";
            ui.SwaggerEndpoint(OpenApiDocument, "Retrieval v1");
        });
        return app;
    }
}
