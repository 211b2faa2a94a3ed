DROP TABLE command;
