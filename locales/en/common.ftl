# Texts shared across the desk.
money-test = Amount: { $amount }
times-in-zone = Times are in { $zone } ({ $offset })
