namespace Vigil.Core.Storage.Sql;

/// <summary>Life of a write transaction: usable, broken (only a rollback is left), or finished.</summary>
internal enum WriteTransactionState
{
    Open,
    Failed,
    Done,
}

internal static class WriteTransactionStates
{
    public static void EnsureOpen(this WriteTransactionState state)
    {
        switch (state)
        {
            case WriteTransactionState.Failed:
                throw new InvalidOperationException("The write transaction failed; dispose it to roll back.");
            case WriteTransactionState.Done:
                throw new InvalidOperationException("The write transaction is complete.");
        }
    }
}
