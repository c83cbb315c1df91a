# Texts shared across the desk.
money-test = Amount: { $amount }
