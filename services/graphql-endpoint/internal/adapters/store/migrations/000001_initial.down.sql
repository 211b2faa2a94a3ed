DROP TABLE transfer_results;
DROP TABLE accounts;
DROP TABLE transactions;
