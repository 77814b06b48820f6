using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;
using Backup.Core.Monitoring;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Backup.Cli.Notifications;

/// <summary>
/// <c>--webhook URL</c>: POSTs each alert as JSON (<see cref="AlertMessage.ToJson"/>) from a bounded queue on a task of
/// its own, so that a receiver that is slow, down or hanging never delays a snapshot. A request that fails (no
/// connection, a timeout, a 5xx, 408 or 429) is tried again with exponential backoff; one that is given up is logged.
/// Credentials in the URL are sent as HTTP basic authentication; the log shows only the scheme, host and port. Thread-safe.
/// </summary>
internal sealed class WebhookSender : IAsyncDisposable
{
    private readonly Uri _url;
    private readonly string _shown;
    private readonly string _host;
    private readonly WebhookSettings _settings;
    private readonly ILogger _logger;
    private readonly HttpClient _client;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly Channel<Alert> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sending;

    /// <summary>Starts the sender; <paramref name="url"/> is an absolute http or https URL (checked when parsed).</summary>
    public WebhookSender(Uri url, string host, ILogger logger, TimeProvider time, WebhookSettings? settings = null)
    {
        _url = url;
        _shown = url.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped); // a path may hold a secret (Slack, ntfy)
        _host = host;
        _logger = logger;
        _settings = settings ?? new WebhookSettings();
        // No redirects: a receiver must not send the alert (and the credentials) elsewhere.
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = _settings.AttemptTimeout }) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("backup", "1"));
        if (url.UserInfo is { Length: > 0 } user)
        {
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(user))));
        }
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests),
                MaxRetryAttempts = _settings.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _settings.FirstDelay,
                OnRetry = args =>
                {
                    _logger.LogWarning("webhook {Url}: {Problem}; trying again in {Delay:0.0} s",
                        _shown, Describe(args.Outcome), args.RetryDelay.TotalSeconds);
                    return default;
                },
            })
            .AddTimeout(_settings.AttemptTimeout)
            .Build();
        _queue = Channel.CreateBounded<Alert>(new BoundedChannelOptions(_settings.Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => _logger.LogError("webhook {Url}: too many alerts waiting; dropped the {Event} of {Path}", _shown, dropped.Event.ToString().ToLowerInvariant(), Subject(dropped)));
        _sending = Task.Run(SendAllAsync);
    }

    /// <summary>Queues <paramref name="alert"/> and returns at once; never blocks.</summary>
    public void Enqueue(Alert alert) => _queue.Writer.TryWrite(alert);

    private async Task SendAllAsync()
    {
        try
        {
            await foreach (var alert in _queue.Reader.ReadAllAsync(_stop.Token))
            {
                await SendAsync(alert, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // stopping: what is left in the queue is logged as dropped below
        }
        while (_queue.Reader.TryRead(out var left))
        {
            _logger.LogError("webhook {Url}: the daemon stopped before the {Event} of {Path} was sent", _shown, left.Event.ToString().ToLowerInvariant(), Subject(left));
        }
    }

    private async Task SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        var body = AlertMessage.ToJson(alert, _host);
        try
        {
            using var response = await _pipeline.ExecuteAsync(async token =>
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                return await _client.PostAsync(_url, content, token);
            }, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                _logger.LogInformation("webhook {Url}: sent the {Event} of {Path}", _shown, alert.Event.ToString().ToLowerInvariant(), Subject(alert));
            }
            else
            {
                _logger.LogError("webhook {Url}: gave up the {Event} of {Path}: HTTP {Status}", _shown, alert.Event.ToString().ToLowerInvariant(), Subject(alert), (int)response.StatusCode);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.LogError("webhook {Url}: the daemon stopped before the {Event} of {Path} was sent", _shown, alert.Event.ToString().ToLowerInvariant(), Subject(alert));
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            _logger.LogError("webhook {Url}: gave up the {Event} of {Path}: {Message}", _shown, alert.Event.ToString().ToLowerInvariant(), Subject(alert), e.Message);
        }
    }

    /// <summary>What an alert is about, for the log.</summary>
    internal static string Subject(Alert alert) => alert.Path ?? "the destination";

    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } e ? e.Message : $"HTTP {(int)outcome.Result!.StatusCode}";

    /// <summary>Stops taking alerts, gives those queued <see cref="WebhookSettings.DrainTimeout"/> to be sent, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_sending, Task.Delay(_settings.DrainTimeout)) != _sending)
        {
            await _stop.CancelAsync();
        }
        await _sending;
        _client.Dispose();
        _stop.Dispose();
    }
}
