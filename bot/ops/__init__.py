"""Running the assistant: training (train), the servers on this machine for run.sh, the chat,
the tests and the benchmarks (servers), a terminal chat (chat), JSON logs (logs), the
production configuration from the environment (deploy) and the production shape on one machine
(cluster)."""
