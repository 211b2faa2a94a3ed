DROP TABLE balance;
