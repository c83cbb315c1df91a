# 全站共用的文字。
money-test = 金额：{ $amount }
times-in-zone = 时间均为 { $zone } 时区（{ $offset }）
