using Microsoft.Extensions.Logging;

namespace Smolmix.Cli;

/// <summary>A minimal logger factory writing one line per message to standard error.</summary>
internal sealed class StderrLoggerFactory : ILoggerFactory
{
    private static readonly Lock Gate = new();
    private readonly Func<string, LogLevel> _minimum;

    public StderrLoggerFactory(LogLevel minimum)
        : this(_ => minimum)
    {
    }

    /// <summary>A factory whose minimum level depends on the category.</summary>
    public StderrLoggerFactory(Func<string, LogLevel> minimum) => _minimum = minimum;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _minimum(categoryName));

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel.ToString()[..4].ToLowerInvariant()} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += $" ({exception.GetType().Name}: {exception.Message})";
            }

            lock (Gate)
            {
                Console.Error.WriteLine(line);
            }
        }
    }
}
