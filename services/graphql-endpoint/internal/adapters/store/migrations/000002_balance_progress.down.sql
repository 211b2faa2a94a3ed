DROP TABLE balance_progress;
