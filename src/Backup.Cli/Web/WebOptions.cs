using System.CommandLine;
using System.CommandLine.Parsing;

namespace Backup.Cli.Web;

/// <summary>
/// The daemon's web options (<c>--listen</c>, <c>--listen-public</c>, <c>--tls-cert</c>, <c>--tls-key</c>), and the
/// start of the server they ask for: the token made or read, the address printed, Kestrel listening.
/// </summary>
internal sealed class WebOptions
{
    private readonly Option<string?> _listen = new("--listen")
    {
        Description = "Serve the web page (and /metrics) on ADDRESS:PORT, such as 127.0.0.1:9911: loopback only unless --listen-public",
        HelpName = "ADDR:PORT",
    };

    private readonly Option<bool> _public = new("--listen-public") { Description = "Allow --listen on an address that is not loopback (requires --tls-cert)" };

    private readonly Option<string?> _certificate = new("--tls-cert")
    {
        Description = "Serve --listen over HTTPS with this PEM certificate (and its key, unless --tls-key gives it)",
        HelpName = "FILE",
    };

    private readonly Option<string?> _key = new("--tls-key") { Description = "The PEM private key of --tls-cert", HelpName = "FILE" };

    /// <summary>The options, to add to the command.</summary>
    public IEnumerable<Option> All => [_listen, _public, _certificate, _key];

    /// <summary>The other options apply only with <c>--listen</c>.</summary>
    public void Validate(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.GetResult(_listen) is null)
        {
            foreach (var option in new Option[] { _public, _certificate, _key }.Where(o => result.GetResult(o) is { Implicit: false }))
            {
                result.AddError($"{option.Name} applies only with --listen");
            }
        }
    }

    /// <summary>
    /// Where to listen, or null without <c>--listen</c>; throws <see cref="Backup.Core.BackupException"/> (exit 2) for a
    /// bad address, or (when <paramref name="readCertificate"/>) a certificate that cannot be read: read here once, so
    /// that the daemon refuses before it takes its lock, opens the catalog or unlocks the repository. <c>service
    /// install</c> only writes the path into the unit: the service may read a file its installer cannot.
    /// </summary>
    public WebListen? Parse(CliContext context, ParseResult parse, bool readCertificate = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(_listen) is not { } text)
        {
            return null;
        }
        var listen = WebListen.Parse(text, parse.GetValue(_public), Full(context, parse.GetValue(_certificate)), Full(context, parse.GetValue(_key)));
        if (listen.Tls && readCertificate)
        {
            WebServer.LoadCertificate(listen).Dispose();
        }
        return listen;
    }

    /// <summary>
    /// Makes or reads the token, starts the server, and prints its address: with the token when it was just made
    /// (printed once), else with the token file's path.
    /// </summary>
    public static async Task<WebServer> StartAsync(
        CliContext context, WebListen listen, string catalogPath, string archiveRoot, RepositoryCredentials credentials, WebState state,
        Func<Stream, CancellationToken, Task>? metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(listen);
        var path = WebToken.PathFor(context);
        var (token, created) = WebToken.LoadOrCreate(path);
        var backend = new WebBackend(context, catalogPath, archiveRoot, credentials, state, new WebJobs(context.Time, cancellationToken));
        var server = await WebServer.StartAsync(listen, token, backend, metrics, cancellationToken);
        context.Output.WriteLine(created
            ? $"web page: {listen.Url}?token={token}"
            : $"web page: {listen.Url} (open {listen.Url}?token=TOKEN once, with the token in {Formatting.Path(path)})");
        await context.Output.FlushAsync(cancellationToken);
        return server;
    }

    private static string? Full(CliContext context, string? path) => path is null ? null : context.FullPath(path);
}
